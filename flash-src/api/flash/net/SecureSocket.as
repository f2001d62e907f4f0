package flash.net {
/** Declaration only (see flash-src/README.md). Flash Player 11+; absent in Ruffle (#1065). */
public class SecureSocket extends Socket {
	public function SecureSocket() {}
	public static function get isSupported():Boolean { return false; }
	public function get serverCertificateStatus():String { return null; }
	override public function connect(host:String, port:int):void {}
}
}
