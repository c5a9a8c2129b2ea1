using System.Buffers;
using Usher.Cli.Batch;

namespace Usher.Cli.Tests.Batch;

public sealed class PartStreamTests
{
    [Fact]
    public void Write_PastTheFirstBuffer_KeepsEveryByteInOrderAndGivesTheSmallerBufferBack()
    {
        var pool = new CountingPool();
        using var stream = new PartStream(pool, capacity: 300);
        var expected = new List<byte>();
        for (var i = 0; i < 50; i++)
        {
            // Writes of odd sizes that cross each buffer's end.
            var block = Enumerable.Range(0, 37 + i).Select(b => (byte)((i * 7) + b)).ToArray();
            stream.Write(block);
            expected.AddRange(block);
        }

        Assert.Equal(expected.Count, stream.Length);
        using var part = stream.Detach();
        Assert.Equal(expected, part.Span.ToArray());

        // Every buffer outgrown went back; the part's own goes back when the part is disposed.
        Assert.Equal(pool.Rented - 1, pool.Returned);
        part.Dispose();
        Assert.Equal(pool.Rented, pool.Returned);
        Assert.Equal(0, part.Span.Length);
    }

    [Fact]
    public void Seek_Back_OverwritesInPlace_AndPastTheEnd_FillsTheGapWithZeros()
    {
        using var stream = new PartStream(new CountingPool(), capacity: 16);
        stream.Write([1, 2, 3, 4, 5, 6]);
        stream.Position = 2;
        stream.Write([9, 9]);
        Assert.Equal(4, stream.Position);
        Assert.Equal(6, stream.Length);
        stream.Seek(3, SeekOrigin.End);
        stream.WriteByte(7);

        using var part = stream.Detach();
        Assert.Equal(new byte[] { 1, 2, 9, 9, 5, 6, 0, 0, 0, 7 }, part.Span.ToArray());
    }

    [Fact]
    public void AsBufferWriter_GetSpanAndAdvance_AppendAcrossBuffers_AndMixWithWrite()
    {
        var pool = new CountingPool();
        using var stream = new PartStream(pool, capacity: 256);
        IBufferWriter<byte> writer = stream;
        var expected = new List<byte>();
        for (var i = 0; i < 40; i++)
        {
            // Ask for more than is written, as formatters do, then write fewer bytes.
            var span = writer.GetSpan(32);
            Assert.True(span.Length >= 32);
            var count = 5 + (i % 20);
            for (var b = 0; b < count; b++)
            {
                span[b] = (byte)(i + b);
                expected.Add((byte)(i + b));
            }

            writer.Advance(count);
            stream.Write([(byte)255]);
            expected.Add(255);
        }

        Assert.Equal(expected.Count, stream.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(writer.GetSpan(1).Length + 1));
        using var part = stream.Detach();
        Assert.Equal(expected, part.Span.ToArray());
        Assert.Equal(pool.Rented - 1, pool.Returned);
    }

    [Fact]
    public void Dispose_WithoutDetach_GivesTheBufferBack()
    {
        var pool = new CountingPool();
        var stream = new PartStream(pool, capacity: 64);
        stream.Write(new byte[1000]);
        stream.Dispose();
        Assert.Equal(pool.Rented, pool.Returned);
    }

    [Fact]
    public void Of_OwnsItsArray_AndDisposeLeavesItAlone()
    {
        var part = EncodedPart.Of([4, 5, 6]);
        part.Dispose();
        Assert.Equal(new byte[] { 4, 5, 6 }, part.Span.ToArray());
    }

    // Hands out fresh arrays of exactly the size asked for, counting rents and returns.
    private sealed class CountingPool : ArrayPool<byte>
    {
        public int Rented { get; private set; }

        public int Returned { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            Rented++;
            return new byte[minimumLength];
        }

        public override void Return(byte[] array, bool clearArray = false) => Returned++;
    }
}
