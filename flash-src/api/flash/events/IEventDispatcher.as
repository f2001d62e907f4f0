package flash.events {
/** Declaration only (see flash-src/README.md). */
public interface IEventDispatcher {
	function addEventListener(type:String, listener:Function, useCapture:Boolean = false, priority:int = 0, useWeakReference:Boolean = false):void;
	function removeEventListener(type:String, listener:Function, useCapture:Boolean = false):void;
	function dispatchEvent(event:Event):Boolean;
	function hasEventListener(type:String):Boolean;
	function willTrigger(type:String):Boolean;
}
}
