package flash.display {
import flash.events.EventDispatcher;
/** Declaration only (see flash-src/README.md). */
public class LoaderInfo extends EventDispatcher {
	public function get parameters():Object { return null; }
	public function get url():String { return null; }
	public function get loaderURL():String { return null; }
}
}
