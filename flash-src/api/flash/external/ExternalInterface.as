package flash.external {
/** Declaration only (see flash-src/README.md). */
public final class ExternalInterface {
	public static var marshallExceptions:Boolean = false;
	public static function get available():Boolean { return false; }
	public static function get objectID():String { return null; }
	public static function addCallback(functionName:String, closure:Function):void {}
	public static function call(functionName:String, ... arguments):* { return null; }
}
}
