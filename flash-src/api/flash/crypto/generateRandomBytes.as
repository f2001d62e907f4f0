package flash.crypto {
import flash.utils.ByteArray;
/** Declaration only (see flash-src/README.md). */
public function generateRandomBytes(numberRandomBytes:uint):ByteArray { return null; }
}
