package flash.utils {
/** Declaration only (see flash-src/README.md). */
public function getTimer():int { return 0; }
}
