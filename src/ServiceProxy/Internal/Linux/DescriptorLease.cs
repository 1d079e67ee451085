using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// A reference on a socket's SafeHandle, taken while native code uses its descriptor: until
/// <see cref="Release"/>, no Dispose on another thread can close the descriptor and let the kernel
/// give its number to a new socket under a pending recv, send or splice. A mutable struct: keep it
/// in a field (not a readonly one) or a local, and release it once.
/// </summary>
internal struct DescriptorLease
{
    private SafeHandle? _handle;

    /// <summary>The descriptor; valid while <see cref="IsHeld"/>.</summary>
    public int Fd { get; private set; }

    public readonly bool IsHeld => _handle is not null;

    /// <summary>Takes the reference; false (nothing held) when the socket is closed already.</summary>
    public static bool TryTake(Socket socket, out DescriptorLease lease)
    {
        lease = default;
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        lease = new DescriptorLease { _handle = handle, Fd = (int)handle.DangerousGetHandle() };
        return true;
    }

    /// <summary>Takes the reference; throws <see cref="ObjectDisposedException"/> when the socket is closed already.</summary>
    public static DescriptorLease Take(Socket socket) =>
        TryTake(socket, out var lease) ? lease : throw new ObjectDisposedException(socket.GetType().FullName);

    /// <summary>Lets go of the reference (the descriptor closes now if the socket was disposed meanwhile); idempotent.</summary>
    public void Release()
    {
        if (_handle is { } handle)
        {
            _handle = null;
            handle.DangerousRelease();
        }
    }
}
