package flash.display {
import flash.events.EventDispatcher;
/** Declaration only (see flash-src/README.md); members the kit uses. */
public class DisplayObject extends EventDispatcher {
	public function get loaderInfo():LoaderInfo { return null; }
	public function get stage():Stage { return null; }
}
}
