package dev.duet.launcher;

import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.DuetClient;
import dev.duet.client.Transport;
import dev.duet.thrift.chat.History;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import dev.duet.thrift.chat.SessionEndReason;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** {@code duet chat}: a terminal chat, or one scripted action. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chats from the terminal: type to send, /history N, /quit. Or one action: --send, --history, "
                + "--wait-for.")
final class ChatCommand implements Callable<Integer> {
    private static final long ONLY_NEW = Long.MAX_VALUE;

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", defaultValue = "7443")
    int port;

    @Option(names = "--token", required = true)
    String token;

    @Option(names = "--ca", description = "PEM certificate to trust (default: the system's trust store).")
    Path ca;

    @Option(names = "--quic", description = "Over QUIC (UDP, same port number) instead of TLS over TCP.")
    boolean quic;

    @Option(names = "--auto", description = "QUIC when UDP gets through, else TLS over TCP.")
    boolean auto;

    @Option(names = "--send", description = "Sends TEXT, prints the acknowledged seq, exits.")
    String send;

    @Option(names = "--history", description = "Prints the last N messages, one per line, exits.")
    Integer history;

    @Option(names = "--wait-for", description = "Waits for N new messages, prints them, exits.")
    Integer waitFor;

    @Option(names = "--timeout", defaultValue = "60s", converter = Durations.class,
            description = "Longest wait for --wait-for (default 60s).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        BlockingQueue<Message> arrived = new LinkedBlockingQueue<>();
        boolean interactive = send == null && history == null && waitFor == null;
        ChatListener listener = new ChatListener() {
            @Override
            public void messageReceived(Message message) {
                if (interactive) {
                    System.out.println(format(message));
                } else {
                    arrived.add(message);
                }
            }

            @Override
            public void partnerTyping(String userId, boolean typing) {
                if (interactive && typing) {
                    System.out.println("(" + userId + " is typing…)");
                }
            }

            @Override
            public void sessionEnding(SessionEndReason reason, String detail) {
                if (interactive) {
                    System.out.println("(session moving: " + reason + ", reconnecting)");
                }
            }
        };
        if (quic && auto) {
            System.err.println("--quic and --auto exclude each other");
            return 2;
        }
        ClientOptions options = ClientOptions.of(host, port, token, ca).withLastSeenSeq(interactive ? 0 : ONLY_NEW)
                .withTransport(quic ? Transport.QUIC : auto ? Transport.AUTO : Transport.TCP);
        try (DuetClient client = DuetClient.connect(options, listener).get(30, TimeUnit.SECONDS)) {
            if (send != null) {
                SendResult sent = client.send(send).get(30, TimeUnit.SECONDS);
                System.out.println(sent.getSeq());
            } else if (history != null) {
                printHistory(client, history);
            } else if (waitFor != null) {
                for (int i = 0; i < waitFor; i++) {
                    Message message = arrived.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    if (message == null) {
                        System.err.println("only " + i + " of " + waitFor + " messages arrived within " + timeout);
                        return 1;
                    }
                    System.out.println(format(message));
                }
            } else {
                converse(client);
            }
        }
        return 0;
    }

    private static void printHistory(DuetClient client, int count) throws Exception {
        History page = client.history(0, Math.max(1, Math.min(count, 200))).get(30, TimeUnit.SECONDS);
        page.getMessages().forEach(message -> System.out.println(format(message)));
    }

    private static void converse(DuetClient client) throws Exception {
        var session = client.session();
        System.out.println("Connected as " + session.getUserId() + " (couple " + session.getCoupleId()
                + "). Type a message and press Enter; /history N; /quit.");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("/quit")) {
                return;
            } else if (line.startsWith("/history")) {
                String[] parts = line.split("\\s+");
                printHistory(client, parts.length > 1 ? Integer.parseInt(parts[1]) : 20);
            } else if (!line.isBlank()) {
                client.send(line).get(30, TimeUnit.SECONDS);
            }
        }
    }

    static String format(Message message) {
        return "#" + message.getSeq() + " " + message.getSenderId() + ": " + message.getBody();
    }
}
