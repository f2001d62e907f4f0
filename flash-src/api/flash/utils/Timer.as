package flash.utils {
import flash.events.EventDispatcher;
/** Declaration only (see flash-src/README.md). */
public class Timer extends EventDispatcher {
	public function Timer(delay:Number, repeatCount:int = 0) {}
	public function get currentCount():int { return 0; }
	public function get delay():Number { return 0; }
	public function set delay(value:Number):void {}
	public function get repeatCount():int { return 0; }
	public function set repeatCount(value:int):void {}
	public function get running():Boolean { return false; }
	public function reset():void {}
	public function start():void {}
	public function stop():void {}
}
}
