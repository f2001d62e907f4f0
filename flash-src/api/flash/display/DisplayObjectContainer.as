package flash.display {
/** Declaration only (see flash-src/README.md). */
public class DisplayObjectContainer extends InteractiveObject {
	public function DisplayObjectContainer() {}
}
}
