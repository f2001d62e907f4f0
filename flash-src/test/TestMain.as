package {
import flash.display.Sprite;
import flash.external.ExternalInterface;
import flash.utils.setTimeout;

import tests.CodecTests;
import tests.FrameTests;
import tests.HandshakeTests;
import tests.T;
import websocketjs.WebSocketTests;

/**
 * The AS3 unit tests: runs every suite, then hands the page the number of passed assertions
 * and the list of failures via ExternalInterface.call("wsjsTestsDone", passed, failures).
 */
public class TestMain extends Sprite {
	public function TestMain() {
		setTimeout(runAll, 0);
	}

	private function runAll():void {
		T.run("codecs", CodecTests.run);
		T.run("frames", FrameTests.run);
		T.run("handshake", HandshakeTests.run);
		T.run("websocket", WebSocketTests.run);
		ExternalInterface.call("wsjsTestsDone", T.passed, T.failures);
	}
}
}
