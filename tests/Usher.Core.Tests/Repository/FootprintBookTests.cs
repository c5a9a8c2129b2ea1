using Usher.Core.Repository;
using Usher.Testing;

namespace Usher.Core.Tests.Repository;

/// <summary>The measured footprints of model files: one per file content, never below the file.</summary>
public sealed class FootprintBookTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private RepositoryVersion File(string name, byte[] content)
    {
        var path = _dir.Combine(name, "1", "model.onnx");
        System.IO.File.WriteAllBytes(path, content);
        return new RepositoryVersion(1, path, $"{content.Length}@1");
    }

    [Fact]
    public async Task AMeasurement_CountsForEveryFileOfTheSameContent_AndNotForOtherContent()
    {
        var book = new FootprintBook();
        var a = File("a", [1, 2, 3]);
        var copy = File("copy", [1, 2, 3]);
        var other = File("other", [1, 2, 4]);

        Assert.Null(await book.LookupAsync(a, CancellationToken.None));
        Assert.Equal(5000, book.Record(a, 5000, 3));

        Assert.Equal(5000, await book.LookupAsync(copy, CancellationToken.None));
        Assert.Equal(5000, book.Known(copy)); // hashed by the lookup above
        Assert.Null(await book.LookupAsync(other, CancellationToken.None));
        Assert.Equal(1, book.Count);
    }

    [Fact]
    public async Task Known_ReadsNoFile_AndTheLatestMeasurementReplacesTheFirst()
    {
        var book = new FootprintBook();
        var a = File("a", [9, 9]);
        var copy = File("copy", [9, 9]);

        Assert.Null(book.Known(a)); // never looked up: not hashed
        await book.LookupAsync(a, CancellationToken.None);
        book.Record(a, 7000, 2);
        Assert.Null(book.Known(copy)); // same content, but its file was never read

        book.Record(a, 6000, 2);
        Assert.Equal(6000, book.Known(a));
    }

    [Fact]
    public async Task AMeasurementBelowTheFile_IsCountedAsTheFile_AndAnUnreadableFileHasNoLookup()
    {
        var book = new FootprintBook();
        var a = File("a", new byte[100]);
        await book.LookupAsync(a, CancellationToken.None);

        Assert.Equal(100, book.Record(a, -20, 100));
        Assert.Equal(100, book.Known(a));

        var missing = new RepositoryVersion(1, _dir.Combine("gone", "model.onnx"), "missing");
        Assert.Null(await book.LookupAsync(missing, CancellationToken.None));
        Assert.Equal(300, book.Record(missing, 300, 0)); // counted for this load, not kept
        Assert.Null(book.Known(missing));
    }
}
