package flash.utils {
/** Declaration only (see flash-src/README.md). */
public function setTimeout(closure:Function, delay:Number, ... arguments):uint { return 0; }
}
