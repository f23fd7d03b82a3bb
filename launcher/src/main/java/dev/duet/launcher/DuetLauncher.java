package dev.duet.launcher;

import dev.duet.chat.ChatServerMain;
import dev.duet.presenter.PresenterMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Arrays;

/** The {@code duet} command. */
@Command(name = "duet", mixinStandardHelpOptions = true,
        description = "Duet: a chat edge for mobile messaging.",
        subcommands = {LocalCommand.class, TokenCommand.class, ChatCommand.class})
public final class DuetLauncher implements Runnable {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("presenter")) {
            PresenterMain.main(Arrays.copyOfRange(args, 1, args.length));
        } else if (args.length > 0 && args[0].equals("chat-server")) {
            ChatServerMain.main(Arrays.copyOfRange(args, 1, args.length));
        } else {
            System.exit(new CommandLine(new DuetLauncher()).execute(args));
        }
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
        System.out.println("\nAlso: duet presenter --config FILE, duet chat-server --config FILE (see docs/operations.md)");
    }
}
