using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// The libc calls <c>--data-dir</c> needs and .NET does not offer: fsync of a directory (.NET refuses
/// to open one) and flock on a descriptor .NET has not already locked itself (its own FileShare locks
/// are flock too, but can be switched off with DOTNET_SYSTEM_IO_DISABLEFILELOCKING and would stop
/// the second process from reading the holder's pid).
/// </summary>
internal static partial class Libc
{
    private const string Lib = "libc";
    private const int ORdWr = 0x2;
    private const int OCreat = 0x40;
    private const int OCloExec = 0x80000;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int EWouldBlock = 11;
    private const int EIntr = 4;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Makes the entries of <paramref name="directory"/> (creates, renames, deletes) durable.</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!IsSupported)
        {
            return;
        }

        // O_RDONLY (0): a directory opens read-only, which is all fsync needs.
        var fd = Open(directory, OCloExec, 0);
        if (fd < 0)
        {
            throw Failure("open", directory);
        }

        try
        {
            if (Fsync(fd) < 0)
            {
                throw Failure("fsync", directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Opens (creating it, mode 0644) <paramref name="path"/> read-write without any lock.</summary>
    public static SafeFileHandle OpenUnlocked(string path)
    {
        var fd = Open(path, ORdWr | OCreat | OCloExec, 0b110_100_100);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Failure("open", path);
    }

    /// <summary>flock(LOCK_EX | LOCK_NB): false when another open file description holds a lock.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle, string path)
    {
        while (true)
        {
            if (Flock(handle, LockExclusive | LockNonBlocking) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EWouldBlock)
            {
                return false;
            }

            if (errno != EIntr)
            {
                throw new IOException($"flock {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    private static IOException Failure(string call, string path) =>
        new($"{call} {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);
}
