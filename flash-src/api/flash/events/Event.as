package flash.events {
/** Declaration only (see flash-src/README.md). */
public class Event {
	public static const ADDED_TO_STAGE:String = "addedToStage";
	public static const CLOSE:String = "close";
	public static const COMPLETE:String = "complete";
	public static const CONNECT:String = "connect";
	public static const ENTER_FRAME:String = "enterFrame";
	public static const INIT:String = "init";
	public function Event(type:String, bubbles:Boolean = false, cancelable:Boolean = false) {}
	public function get type():String { return null; }
	public function get target():Object { return null; }
	public function get currentTarget():Object { return null; }
	public function clone():Event { return null; }
	public function toString():String { return null; }
}
}
