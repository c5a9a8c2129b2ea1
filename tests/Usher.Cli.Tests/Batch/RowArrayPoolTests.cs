using Usher.Cli.Batch;

namespace Usher.Cli.Tests.Batch;

public sealed class RowArrayPoolTests
{
    [Fact]
    public void Rent_AfterReturn_GivesTheSameArrayBack_WithItsReferencesCleared()
    {
        var pool = new RowArrayPool<string?>(length: 5, keep: 2);
        var first = pool.Rent(5);
        first[0] = "bad row";
        first[4] = "another";
        pool.Return(first);

        var again = pool.Rent(5);
        Assert.Same(first, again);
        Assert.All(again, Assert.Null);
    }

    [Fact]
    public void Return_OfAnotherLength_IsNotKept_AndRentOfAnotherLengthIsExact()
    {
        var pool = new RowArrayPool<int>(length: 8, keep: 4);
        var partial = pool.Rent(3);
        Assert.Equal(3, partial.Length);
        pool.Return(partial);

        var full = pool.Rent(8);
        Assert.NotSame(partial, full);
        Assert.Equal(8, full.Length);
    }

    [Fact]
    public void Return_BeyondKeep_DropsTheExtraArrays()
    {
        var pool = new RowArrayPool<object?>(length: 4, keep: 2);
        var arrays = Enumerable.Range(0, 3).Select(_ => pool.Rent(4)).ToList();
        arrays.ForEach(pool.Return);

        // Two kept (the last returned first), then a fresh one: the third was dropped.
        var rented = Enumerable.Range(0, 3).Select(_ => pool.Rent(4)).ToList();
        Assert.Same(arrays[1], rented[0]);
        Assert.Same(arrays[0], rented[1]);
        Assert.DoesNotContain(arrays, a => ReferenceEquals(a, rented[2]));
    }
}
