using Usher.Cli.Batch;

namespace Usher.Cli.Tests.Batch;

public sealed class ShardSpecTests
{
    [Theory]
    [InlineData(0L, 3)]
    [InlineData(1L, 4)]
    [InlineData(10L, 3)]
    [InlineData(1_000_003L, 7)]
    [InlineData(5L, 8)]
    public void Ranges_CoverEveryUnitOnceInOrder(long total, int count)
    {
        var next = 0L;
        for (var i = 0; i < count; i++)
        {
            var (start, end) = new ShardSpec(i, count).Range(total);
            Assert.Equal(next, start);
            Assert.True(end >= start);
            Assert.True(end - start <= (total / count) + 1, $"shard {i}/{count} of {total} takes {end - start}");
            next = end;
        }

        Assert.Equal(total, next);
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/4", 3, 4)]
    [InlineData(" 2 / 8 ", 2, 8)]
    public void Parse_Valid(string text, int index, int count)
    {
        Assert.Equal(new ShardSpec(index, count), ShardSpec.Parse(text, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("4/4")]
    [InlineData("1/0")]
    [InlineData("-1/2")]
    [InlineData("2")]
    [InlineData("a/b")]
    public void Parse_Invalid_SaysWhatIsExpected(string text)
    {
        Assert.Null(ShardSpec.Parse(text, out var problem));
        Assert.Equal($"--shard: expected I/N with 0 <= I < N (such as 0/4, or $JOB_COMPLETION_INDEX/4), got '{text}'", problem);
    }
}
