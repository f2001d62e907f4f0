// WarmMXMLC keeps one JVM with the Royale compiler loaded and compiles a SWF per request,
// so that `mage dev` pays the JVM start and the JIT warm-up once instead of per edit.
//
// Protocol (UTF-8): each request is one line of tab-separated mxmlc arguments on stdin.
// Each reply on stdout is a line "done <exit code> <n>" followed by n bytes of the
// compiler's own output (configuration notes, diagnostics). End of stdin ends the JVM.
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.royale.compiler.clients.MXMLC;

public final class WarmMXMLC {
    public static void main(String[] argv) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream reply = System.out;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            ByteArrayOutputStream diag = new ByteArrayOutputStream();
            PrintStream capture = new PrintStream(diag, true, StandardCharsets.UTF_8);
            // The compiler prints progress on System.out, which is the reply channel.
            System.setOut(capture);
            System.setErr(capture);
            int code;
            try {
                code = new MXMLC().mainNoExit(line.split("\t"), capture);
            } catch (Throwable t) {
                t.printStackTrace(capture);
                code = -1;
            }
            capture.flush();
            byte[] b = diag.toByteArray();
            reply.print("done " + code + " " + b.length + "\n");
            reply.write(b, 0, b.length);
            reply.flush();
        }
    }
}
