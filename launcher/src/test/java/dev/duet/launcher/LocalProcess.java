package dev.duet.launcher;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code duet local} as a user runs it: a process of its own, signalled as an operator (or a sleeping laptop) would. */
final class LocalProcess implements AutoCloseable {
    private final Process process;

    private LocalProcess(Process process) {
        this.process = process;
    }

    /** Starts {@code duet local} on {@code data} and waits until it says it is running. */
    static LocalProcess start(Path data, int port, int zookeeperPort, String... extraArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens",
                "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens",
                "java.base/java.util.concurrent=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), DuetLauncher.class.getName(), "local",
                "--data", data.toString(), "--port", Integer.toString(port),
                "--zookeeper-port", Integer.toString(zookeeperPort), "--mux-port", "0"));
        command.addAll(List.of(extraArgs));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        for (String line; System.nanoTime() < deadline && (line = out.readLine()) != null; ) {
            if (line.startsWith("Duet is running")) {
                Thread drain = new Thread(() -> out.lines().forEach(ignored -> { }), "duet-local-stdout");
                drain.setDaemon(true);
                drain.start();
                return new LocalProcess(process);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("duet local did not start");
    }

    /** {@code kill -<signal>}: STOP stalls every thread of the process at once, CONT resumes it. */
    void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    /** SIGTERM, resuming it first in case a test stopped it, and waits for the exit. */
    @Override
    public void close() throws Exception {
        signal("CONT");
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "duet local stops within 30 s of SIGTERM");
    }
}
