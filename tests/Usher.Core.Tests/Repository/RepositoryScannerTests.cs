using Usher.Core.Repository;
using Usher.Testing;

namespace Usher.Core.Tests.Repository;

public sealed class RepositoryScannerTests
{
    [Theory]
    [InlineData("1", true, 1L)]
    [InlineData("42", true, 42L)]
    [InlineData("0", false, 0L)]
    [InlineData("01", false, 0L)]
    [InlineData("-1", false, 0L)]
    [InlineData("+1", false, 0L)]
    [InlineData("v1", false, 0L)]
    [InlineData("1.5", false, 0L)]
    [InlineData("99999999999999999999", false, 0L)]
    public void TryParseVersion_AcceptsOnlyPositiveIntegersWithoutLeadingZeros(string text, bool ok, long expected)
    {
        Assert.Equal(ok, RepositoryScanner.TryParseVersion(text, out var version));
        if (ok)
        {
            Assert.Equal(expected, version);
        }
    }

    [Fact]
    public void Scan_FindsVersionsSortedAndReportsOtherEntries()
    {
        using var repo = new TempDirectory();
        File.WriteAllBytes(repo.Combine("m", "10", "model.onnx"), [1]);
        File.WriteAllBytes(repo.Combine("m", "2", "model.onnx"), [1, 2]);
        Directory.CreateDirectory(repo.Combine("m", "latest", "x"));
        File.WriteAllText(repo.Combine("m", "README.txt"), "notes");
        File.WriteAllText(repo.Combine("m", "config.yaml"), "max_batch_size: 4");

        var model = new RepositoryScanner(repo.Path, "model.onnx").Scan("m")!;

        Assert.Equal([2L, 10L], model.Versions.Select(v => v.Version));
        Assert.NotNull(model.ConfigPath);
        Assert.Contains(model.Ignored, i => i.StartsWith("latest:", StringComparison.Ordinal));
        Assert.Contains(model.Ignored, i => i.StartsWith("README.txt:", StringComparison.Ordinal));
    }

    [Fact]
    public void Scan_VersionWithoutModelFile_IsListedWithMissingStamp()
    {
        using var repo = new TempDirectory();
        Directory.CreateDirectory(repo.Combine("m", "1"));
        var model = new RepositoryScanner(repo.Path, "model.onnx").Scan("m")!;
        Assert.Equal("missing", Assert.Single(model.Versions).Stamp);
    }

    [Fact]
    public void Scan_RejectsPathTraversal()
    {
        using var repo = new TempDirectory();
        Assert.Null(new RepositoryScanner(repo.Path, "model.onnx").Scan(".."));
        Assert.Null(new RepositoryScanner(repo.Path, "model.onnx").Scan("a/b"));
    }

    [Fact]
    public void ModelNames_SkipsHiddenFoldersAndSorts()
    {
        using var repo = new TempDirectory();
        Directory.CreateDirectory(repo.Combine("b", "1"));
        Directory.CreateDirectory(repo.Combine("a", "1"));
        Directory.CreateDirectory(repo.Combine(".git", "x"));
        Assert.Equal(["a", "b"], new RepositoryScanner(repo.Path, "model.onnx").ModelNames());
    }

    [Fact]
    public void ModelNames_WhenRepositoryIsMissing_SaysWhich()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => new RepositoryScanner("/nonexistent/usher-repo", "model.onnx").ModelNames());
        Assert.Contains("/nonexistent/usher-repo", ex.Message, StringComparison.Ordinal);
    }
}
