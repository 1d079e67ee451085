using ServiceProxy.Tcp.Splice;

namespace ServiceProxy.Tests.Tcp.Splice;

public sealed class LoopByDescriptorTests
{
    [Fact]
    public void A_recorded_loop_reads_back_and_a_later_record_replaces_it()
    {
        // Descriptor numbers far above what this test process opens, so no real dial races with them.
        const int fd = 900_123;

        LoopByDescriptor.Set(fd, 1);
        Assert.Equal(1, LoopByDescriptor.Get(fd));

        LoopByDescriptor.Set(fd, 0);
        Assert.Equal(0, LoopByDescriptor.Get(fd));
    }

    [Fact]
    public void Unrecorded_negative_and_out_of_range_descriptors_have_no_loop()
    {
        Assert.Equal(-1, LoopByDescriptor.Get(1_000_001)); // a page nobody wrote
        Assert.Equal(-1, LoopByDescriptor.Get(-1));

        LoopByDescriptor.Set(LoopByDescriptor.MaxDescriptors, 3);
        Assert.Equal(-1, LoopByDescriptor.Get(LoopByDescriptor.MaxDescriptors));
    }

    [Fact]
    public async Task Concurrent_first_writes_to_one_page_all_survive()
    {
        const int first = 700_000 - 700_000 % 4096; // the start of a page no other test touches
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var i = w; i < 4096; i += 8)
            {
                LoopByDescriptor.Set(first + i, i % 5);
            }
        }));
        await Task.WhenAll(writers);

        for (var i = 0; i < 4096; i++)
        {
            Assert.Equal(i % 5, LoopByDescriptor.Get(first + i));
        }
    }
}
