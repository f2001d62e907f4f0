package websocketjs {
/** What a WebSocket needs from the bridge: a queue for page events, and the registry. */
public interface EventSink {
	/** Queues one BRIDGE.md event object (strings already esc'd). */
	function emit(event:Object):void;
	/** Removes a finished socket from the registry. */
	function forget(id:int):void;
	/** true when debug logging is on. */
	function get debug():Boolean;
}
}
