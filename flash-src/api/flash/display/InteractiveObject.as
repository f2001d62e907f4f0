package flash.display {
/** Declaration only (see flash-src/README.md). */
public class InteractiveObject extends DisplayObject {
	public function InteractiveObject() {}
}
}
