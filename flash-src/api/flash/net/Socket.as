package flash.net {
import flash.events.EventDispatcher;
import flash.utils.ByteArray;
/** Declaration only (see flash-src/README.md); members the kit uses. */
public class Socket extends EventDispatcher {
	public function Socket(host:String = null, port:int = 0) {}
	public function get bytesAvailable():uint { return 0; }
	public function get bytesPending():uint { return 0; }
	public function get connected():Boolean { return false; }
	public function get endian():String { return null; }
	public function set endian(type:String):void {}
	public function get timeout():uint { return 0; }
	public function set timeout(value:uint):void {}
	public function close():void {}
	public function connect(host:String, port:int):void {}
	public function flush():void {}
	public function readBytes(bytes:ByteArray, offset:uint = 0, length:uint = 0):void {}
	public function readUnsignedByte():uint { return 0; }
	public function writeBytes(bytes:ByteArray, offset:uint = 0, length:uint = 0):void {}
	public function writeUTFBytes(value:String):void {}
}
}
