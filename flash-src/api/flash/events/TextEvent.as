package flash.events {
/** Declaration only (see flash-src/README.md). */
public class TextEvent extends Event {
	public static const LINK:String = "link";
	public static const TEXT_INPUT:String = "textInput";
	public function TextEvent(type:String, bubbles:Boolean = false, cancelable:Boolean = false, text:String = "") { super(type, bubbles, cancelable); }
	public function get text():String { return null; }
	public function set text(value:String):void {}
}
}
