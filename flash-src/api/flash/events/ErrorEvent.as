package flash.events {
/** Declaration only (see flash-src/README.md). */
public class ErrorEvent extends TextEvent {
	public static const ERROR:String = "error";
	public function ErrorEvent(type:String, bubbles:Boolean = false, cancelable:Boolean = false, text:String = "", id:int = 0) { super(type, bubbles, cancelable, text); }
	public function get errorID():int { return 0; }
}
}
