package flash.display {
/** Declaration only (see flash-src/README.md). */
public class Sprite extends DisplayObjectContainer {
	public function Sprite() {}
}
}
