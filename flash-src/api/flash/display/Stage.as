package flash.display {
/** Declaration only (see flash-src/README.md). */
public class Stage extends DisplayObjectContainer {
	public function get frameRate():Number { return 0; }
	public function set frameRate(value:Number):void {}
}
}
