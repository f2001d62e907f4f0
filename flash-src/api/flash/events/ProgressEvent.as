package flash.events {
/** Declaration only (see flash-src/README.md). */
public class ProgressEvent extends Event {
	public static const PROGRESS:String = "progress";
	public static const SOCKET_DATA:String = "socketData";
	public function ProgressEvent(type:String, bubbles:Boolean = false, cancelable:Boolean = false, bytesLoaded:Number = 0, bytesTotal:Number = 0) { super(type, bubbles, cancelable); }
	public function get bytesLoaded():Number { return 0; }
	public function get bytesTotal():Number { return 0; }
}
}
