package dev.duet.protocol.config;

import picocli.CommandLine;
import picocli.CommandLine.ExitCode;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;

/**
 * Runs a server's command with its settings from the command line, the environment and the config file
 * ({@link YamlDefaults}). A bad setting — unknown, missing or out of range ({@link InvalidSettingException}), or a
 * config file that cannot be read — ends it with one line naming the setting and exit code 2, not a stack trace.
 */
public final class ServerCommandLine {
    private ServerCommandLine() {
    }

    /** Runs {@code command} (a picocli command) and returns its exit code, for {@link System#exit}. */
    public static int execute(Object command, String[] args) {
        return execute(command, args, System.getenv(), new PrintWriter(System.err, true));
    }

    /** As {@link #execute(Object, String[])}, with the environment and the error stream given. */
    public static int execute(Object command, String[] args, Map<String, String> environment, PrintWriter err) {
        CommandLine commandLine = new CommandLine(command).setErr(err)
                .setExecutionExceptionHandler((e, line, parsed) -> {
                    if (e instanceof InvalidSettingException) {
                        return refuse(line, e.getMessage());
                    }
                    throw e;
                });
        try {
            YamlDefaults.install(commandLine, args, environment);
        } catch (InvalidSettingException e) {
            return refuse(commandLine, e.getMessage());
        } catch (IOException e) {
            return refuse(commandLine, "cannot read the config file: " + e);
        }
        return commandLine.execute(args);
    }

    private static int refuse(CommandLine commandLine, String message) {
        commandLine.getErr().println(commandLine.getCommandName() + ": " + message);
        commandLine.getErr().flush();
        return ExitCode.USAGE;
    }
}
