package flash.utils {
/** Declaration only (see flash-src/README.md). */
public function clearTimeout(id:uint):void {}
}
