package dev.duet.protocol.client;

import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.ClientEvents;
import org.apache.thrift.ProcessFunction;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;
import org.apache.thrift.TSerializable;
import org.apache.thrift.protocol.TMessageType;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Which struct a message's body is, given its method name and message type: what lets {@link ThriftMessageCodec}
 * decode a body without a generated processor. Each side of the client protocol decodes what the other sends:
 * {@link #server()} decodes {@code ChatService} calls; {@link #client()} decodes their replies and the
 * {@code ClientEvents} pushes. Both decode {@code EXCEPTION} messages as {@link TApplicationException}.
 */
public final class MessageCatalog {
    private final Map<String, Supplier<? extends TSerializable>> calls;
    private final Map<String, Supplier<? extends TSerializable>> replies;
    private final Map<String, Supplier<? extends TSerializable>> oneways;

    private MessageCatalog(Map<String, Supplier<? extends TSerializable>> calls,
                           Map<String, Supplier<? extends TSerializable>> replies,
                           Map<String, Supplier<? extends TSerializable>> oneways) {
        this.calls = Map.copyOf(calls);
        this.replies = Map.copyOf(replies);
        this.oneways = Map.copyOf(oneways);
    }

    /** What a chat server receives: {@code ChatService} calls. */
    public static MessageCatalog server() {
        return new MessageCatalog(argsOf(new ChatService.Processor<>(null).getProcessMapView()), Map.of(), Map.of());
    }

    /** What a client receives: replies to its {@code ChatService} calls and {@code ClientEvents} pushes. */
    public static MessageCatalog client() {
        Map<String, Supplier<? extends TSerializable>> replies = Map.of(
                "authenticate", ChatService.authenticate_result::new,
                "sendMessage", ChatService.sendMessage_result::new,
                "fetchHistory", ChatService.fetchHistory_result::new,
                "markRead", ChatService.markRead_result::new,
                "setTyping", ChatService.setTyping_result::new,
                "ping", ChatService.ping_result::new);
        return new MessageCatalog(Map.of(), replies, argsOf(new ClientEvents.Processor<>(null).getProcessMapView()));
    }

    @SuppressWarnings("rawtypes") // the generated processors declare their map with a raw TBase
    private static <I> Map<String, Supplier<? extends TSerializable>> argsOf(
            Map<String, ProcessFunction<I, ? extends TBase>> processMap) {
        Map<String, Supplier<? extends TSerializable>> args = new HashMap<>();
        processMap.forEach((name, function) -> args.put(name, function::getEmptyArgsInstance));
        return args;
    }

    /** A new empty body struct for a message, or null when this side does not expect such a message. */
    public TSerializable newBody(String name, byte type) {
        Supplier<? extends TSerializable> factory = switch (type) {
            case TMessageType.CALL -> calls.get(name);
            case TMessageType.REPLY -> replies.get(name);
            case TMessageType.ONEWAY -> oneways.get(name);
            case TMessageType.EXCEPTION -> TApplicationException::new;
            default -> null;
        };
        return factory == null ? null : factory.get();
    }
}
