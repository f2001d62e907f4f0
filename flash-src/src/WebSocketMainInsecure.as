package {
import flash.system.Security;

/**
 * WebSocketMainInsecure.swf: WebSocketMain that any web page, from any domain, may script.
 * Read the warning in README.md before deploying it.
 */
public class WebSocketMainInsecure extends WebSocketMain {
	public function WebSocketMainInsecure() {
		Security.allowDomain("*");
		Security.allowInsecureDomain("*");
		super();
	}
}
}
