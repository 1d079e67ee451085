using System.Runtime.CompilerServices;

namespace ServiceProxy.Host;

/// <summary>
/// Tunes .NET's socket event loop for a proxy before any socket exists. These are environment
/// settings only (no runtimeconfig knob), read once when the first socket is created, so they are
/// set here, before <c>Main</c>. A value already in the environment wins.
/// </summary>
/// <remarks>
/// Measured with benchmarks/compare on 2 cores (benchmarks/RESULTS.md):
/// <list type="bullet">
/// <item><c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> runs socket continuations on the
/// epoll thread instead of hopping to the thread pool. It halves the CPU spent per keep-alive request
/// and per new connection. It asks of everything in the process that uses .NET sockets never to read
/// one synchronously: on the epoll thread such a read waits for that same thread to see the data, and
/// every socket of the process stops. The relay never blocks; the follower's client, whose library
/// reads lists synchronously, is handed whole bodies (<c>Following.RemoteApiResponses</c>).</item>
/// <item><c>DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT</c> = half the cores (at least one): with inline
/// completions each epoll thread is a busy event loop; the other half is left to the kernel's
/// network work, and a connection's two sockets stay on fewer threads.</item>
/// </list>
/// </remarks>
internal static class SocketEngineTuning
{
    internal const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    internal const string ThreadCount = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

#pragma warning disable CA2255 // An application's own module initializer: it must run before Main creates any socket.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        SetDefault(InlineCompletions, "1");
        SetDefault(ThreadCount, Math.Max(1, Environment.ProcessorCount / 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void SetDefault(string name, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
