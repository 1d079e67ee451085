using ServiceProxy.Kubernetes.Allocation;

namespace ServiceProxy.Tests.Kubernetes.Allocation;

public sealed class AllocationBitmapTests
{
    [Fact]
    public void AllocateNext_finds_every_free_offset_then_reports_full()
    {
        var bitmap = new AllocationBitmap(130);
        var taken = new HashSet<int>();
        for (var i = 0; i < 130; i++)
        {
            var offset = bitmap.AllocateNext((i * 37) % 130);
            Assert.InRange(offset, 0, 129);
            Assert.True(taken.Add(offset));
        }

        Assert.Equal(-1, bitmap.AllocateNext(5));
        Assert.Equal(130, bitmap.Count);
    }

    [Fact]
    public void AllocateNext_wraps_around_from_the_start_offset()
    {
        var bitmap = new AllocationBitmap(100);
        for (var i = 50; i < 100; i++)
        {
            Assert.True(bitmap.TryAllocate(i));
        }

        Assert.Equal(0, bitmap.AllocateNext(70));
        Assert.Equal(1, bitmap.AllocateNext(60));
    }

    [Fact]
    public void Release_frees_an_offset_once()
    {
        var bitmap = new AllocationBitmap(64);
        Assert.True(bitmap.TryAllocate(63));
        Assert.False(bitmap.TryAllocate(63));
        bitmap.Release(63);
        bitmap.Release(63);
        Assert.Equal(0, bitmap.Count);
        Assert.True(bitmap.TryAllocate(63));
    }
}
