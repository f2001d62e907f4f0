package flash.events {
/** Declaration only (see flash-src/README.md). */
public class SecurityErrorEvent extends ErrorEvent {
	public static const SECURITY_ERROR:String = "securityError";
	public function SecurityErrorEvent(type:String, bubbles:Boolean = false, cancelable:Boolean = false, text:String = "", id:int = 0) { super(type, bubbles, cancelable, text, id); }
}
}
