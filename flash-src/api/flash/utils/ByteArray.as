package flash.utils {
/** Declaration only (see flash-src/README.md); members the kit uses. */
public class ByteArray {
	public function ByteArray() {}
	public function get bytesAvailable():uint { return 0; }
	public function get endian():String { return null; }
	public function set endian(type:String):void {}
	public function get length():uint { return 0; }
	public function set length(value:uint):void {}
	public function get position():uint { return 0; }
	public function set position(offset:uint):void {}
	public function clear():void {}
	public function readBytes(bytes:ByteArray, offset:uint = 0, length:uint = 0):void {}
	public function readInt():int { return 0; }
	public function readUnsignedByte():uint { return 0; }
	public function readUnsignedShort():uint { return 0; }
	public function readUnsignedInt():uint { return 0; }
	public function readUTFBytes(length:uint):String { return null; }
	public function writeByte(value:int):void {}
	public function writeBytes(bytes:ByteArray, offset:uint = 0, length:uint = 0):void {}
	public function writeInt(value:int):void {}
	public function writeShort(value:int):void {}
	public function writeUnsignedInt(value:uint):void {}
	public function writeUTFBytes(value:String):void {}
	public function toString():String { return null; }
}
}
