using System.Runtime.InteropServices;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Which directory object a path names: its filesystem (device), inode and mount. Unmounting a
/// directory leaves the mount point, another directory on another device, at the same path; renaming
/// a directory away and creating another changes the inode; mounting another volume over it changes
/// the mount. Comparing identities tells "files deleted from this directory" from "this is not the
/// directory they were in". Read with <c>statx(2)</c>: one layout on every architecture (<c>struct stat</c>
/// differs between x64 and arm64), and the only source of a mount id that is never reused
/// (<c>STATX_MNT_ID_UNIQUE</c>, Linux 6.8): tmpfs reuses device numbers and root inodes, and
/// /proc/self/mountinfo its mount ids, from one mount to the next.
/// </summary>
/// <param name="Device">major and minor, as <c>st_dev</c> would give them.</param>
/// <param name="Inode">the directory's inode on that device.</param>
/// <param name="MountId">the mount the path resolved through; 0 before Linux 5.8, reusable before 6.8.</param>
internal readonly partial record struct DirectoryIdentity(ulong Device, ulong Inode, ulong MountId)
{
    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100;
    private const uint StatxMntId = 0x1000;
    private const uint StatxMntIdUnique = 0x4000;

    private static bool s_unsupported = !OperatingSystem.IsLinux();

    /// <summary>
    /// The identity of the directory <paramref name="path"/> (symbolic links followed), or null when it cannot
    /// be read (missing, no permission) or the platform has no statx, where every directory compares equal.
    /// </summary>
    public static DirectoryIdentity? Of(string path)
    {
        if (s_unsupported)
        {
            return null;
        }

        try
        {
            if (Statx(AtFdCwd, path, 0, StatxIno | StatxMntId | StatxMntIdUnique, out var buffer) != 0 || (buffer.Mask & StatxIno) == 0)
            {
                return null;
            }

            var mountId = (buffer.Mask & (StatxMntId | StatxMntIdUnique)) != 0 ? buffer.MountId : 0;
            return new DirectoryIdentity(((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor, buffer.Inode, mountId);
        }
        catch (EntryPointNotFoundException)
        {
            // A libc older than glibc 2.28: no identity, so a directory is only told apart when it is missing.
            s_unsupported = true;
            return null;
        }
    }

    /// <summary>The fields of <c>struct statx</c> read here, at their offsets in its fixed 256-byte layout.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
        [FieldOffset(144)] public ulong MountId;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);
}
