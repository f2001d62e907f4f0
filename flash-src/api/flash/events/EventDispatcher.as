package flash.events {
/** Declaration only (see flash-src/README.md): the Flash Player provides the implementation. */
public class EventDispatcher implements IEventDispatcher {
	public function EventDispatcher(target:IEventDispatcher = null) {}
	public function addEventListener(type:String, listener:Function, useCapture:Boolean = false, priority:int = 0, useWeakReference:Boolean = false):void {}
	public function removeEventListener(type:String, listener:Function, useCapture:Boolean = false):void {}
	public function dispatchEvent(event:Event):Boolean { return false; }
	public function hasEventListener(type:String):Boolean { return false; }
	public function willTrigger(type:String):Boolean { return false; }
}
}
