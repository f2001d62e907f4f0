package flash.system {
/** Declaration only (see flash-src/README.md). */
public final class Security {
	public static function allowDomain(... domains):void {}
	public static function allowInsecureDomain(... domains):void {}
	public static function loadPolicyFile(url:String):void {}
	public static function get sandboxType():String { return null; }
}
}
