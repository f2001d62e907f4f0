package {
import flash.display.Sprite;
import flash.external.ExternalInterface;

/**
 * Entry point of WebSocketMain.swf. Placeholder until the RFC 6455 client lands: it
 * registers the bridge and announces readiness (flash-src/BRIDGE.md).
 */
public class WebSocketMain extends Sprite {
	public static const BRIDGE_VERSION:int = 1;

	private var bridgeName:String = "__wsjsBridge";

	public function WebSocketMain() {
		var params:Object = loaderInfo.parameters;
		if (params && params.bridge && /^[A-Za-z0-9_$]+$/.test(params.bridge)) {
			bridgeName = params.bridge;
		}
		ExternalInterface.addCallback("wsjsPoll", function():Array { return []; });
		ExternalInterface.call(bridgeName, "ready", BRIDGE_VERSION);
	}
}
}
