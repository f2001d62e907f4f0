// WarmMXMLC keeps one JVM with the Royale compiler loaded and compiles a SWF per request,
// so that `mage dev` pays the JVM start and the JIT warm-up once instead of per save, and
// recompiles only the files a save changed when it can.
//
// Protocol (UTF-8), one request per line on stdin, fields separated by tabs:
//   <n> <changed file 1> ... <changed file n> <mxmlc argument> ...
// n = -1 asks for a full compile. Each reply on stdout is a line
//   done <exit code> <byte count> <full|incremental>
// followed by that many bytes of the compiler's own output (notes, diagnostics).
// End of stdin (also when the parent dies) ends the JVM.
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.apache.royale.compiler.clients.MXMLC;
import org.apache.royale.compiler.clients.problems.CompilerProblemCategorizer;
import org.apache.royale.compiler.clients.problems.ProblemPrinter;
import org.apache.royale.compiler.clients.problems.WorkspaceProblemFormatter;
import org.apache.royale.compiler.filespecs.IFileSpecification;
import org.apache.royale.swf.ISWF;
import org.apache.royale.utils.FilenameNormalization;

public final class WarmMXMLC {
    /** A compiler whose workspace stays open after a good compile, for the next one. */
    static final class Kept extends MXMLC {
        /** What a good compile under -watch returns: the SWF is written, the workspace kept. */
        static final int WATCHING = 1000;

        final String[] args;

        Kept(String[] args) {
            this.args = args;
        }

        /** -watch keeps the workspace open; the watching itself is ours, not a thread's. */
        @Override
        protected void setupWatcher() {
        }

        int full(PrintStream out) {
            String[] withWatch = Arrays.copyOf(args, args.length + 1);
            withWatch[args.length] = "-watch=true";
            int code = mainNoExit(withWatch, out);
            return code == WATCHING ? 0 : code;
        }

        /** Whether every changed file is a source this compile already uses. */
        boolean knows(List<String> changed) {
            for (String p : changed) {
                String path = FilenameNormalization.normalize(p);
                if (!new File(path).isFile() || workspace.getCompilationUnits(path, project).isEmpty()) {
                    return false;
                }
            }
            return true;
        }

        /** Recompiles after changes to files the last compile used (what -watch does on a save). */
        int incremental(List<String> changed, PrintStream out) throws Exception {
            problems.clear();
            for (String p : changed) {
                IFileSpecification spec = workspace.getFileSpecification(FilenameNormalization.normalize(p));
                workspace.fileChanged(spec);
            }
            workspace.startBuilding();
            try {
                if (!setupTargetFile()) {
                    return 1;
                }
                buildArtifact();
            } finally {
                workspace.doneBuilding();
            }
            if (problems.hasFilteredProblems()) {
                // With the categorizer, as a full compile prints them: "file(line): col: n Error: …".
                CompilerProblemCategorizer categorizer = new CompilerProblemCategorizer(projectConfigurator.getCompilerProblemSettings());
                new ProblemPrinter(new WorkspaceProblemFormatter(workspace, categorizer), out).printProblems(problems.getFilteredProblems());
            }
            if (problems.hasErrors()) {
                return 2;
            }
            Field swf = MXMLC.class.getDeclaredField("swfTarget");
            swf.setAccessible(true);
            Method write = MXMLC.class.getDeclaredMethod("writeSWF", ISWF.class, File.class);
            write.setAccessible(true);
            Method outputPath = MXMLC.class.getDeclaredMethod("getOutputFilePath");
            outputPath.setAccessible(true);
            write.invoke(this, swf.get(this), new File((String) outputPath.invoke(this)));
            return 0;
        }
    }

    public static void main(String[] argv) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream reply = System.out;
        Kept kept = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\t");
            int n = Integer.parseInt(fields[0]);
            List<String> changed = n < 0 ? null : Arrays.asList(fields).subList(1, 1 + n);
            String[] args = Arrays.copyOfRange(fields, 1 + Math.max(n, 0), fields.length);
            ByteArrayOutputStream diag = new ByteArrayOutputStream();
            PrintStream capture = new PrintStream(diag, true, StandardCharsets.UTF_8);
            // The compiler prints progress on System.out, which is the reply channel.
            System.setOut(capture);
            System.setErr(capture);
            String mode = "incremental";
            int code;
            try {
                if (kept != null && changed != null && Arrays.equals(kept.args, args) && kept.knows(changed)) {
                    code = kept.incremental(changed, capture);
                } else {
                    mode = "full";
                    kept = new Kept(args);
                    code = kept.full(capture);
                }
            } catch (Throwable t) {
                t.printStackTrace(capture);
                code = -1;
            }
            if (code != 0 && (mode.equals("full") || code != 2)) {
                // A failed full compile closes its workspace, and anything but compile
                // errors leaves it in doubt: start afresh next time.
                kept = null;
            }
            capture.flush();
            byte[] b = diag.toByteArray();
            reply.print("done " + code + " " + b.length + " " + mode + "\n");
            reply.write(b, 0, b.length);
            reply.flush();
        }
        // The compiler's workspace keeps worker threads that would hold the JVM open.
        System.exit(0);
    }
}
