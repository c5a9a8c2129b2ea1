using Usher.Cli.Batch;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

public sealed class ChunkStoreTests : IDisposable
{
    private static readonly DateTime Modified = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Open_Resume_ManifestOfFormat1_IsRefusedNamingTheFormatAndTheWayOut()
    {
        // As builds before the XXH128 checksums wrote it: format 1, SHA-256 under other names, and a part in place.
        var output = _temp.Combine("out.parquet");
        var directory = ChunkStore.DirectoryFor(output);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "part-000000.parquet"), [1, 2, 3]);
        File.WriteAllText(Path.Combine(directory, "manifest.json"), $$"""
            {
              "input": "/data/in.parquet",
              "input_bytes": 1000,
              "input_modified_utc": "2026-12-01T08:00:00Z",
              "job": "job",
              "chunks": [
                { "index": 0, "first_row": 0, "rows": 10, "errors": 0,
                  "output_sha256": "{{new string('a', 64)}}", "errors_sha256": "{{new string('b', 64)}}" }
              ],
              "format_version": 1
            }
            """);

        var store = ChunkStore.Open(output, ".parquet", Identity(), resume: true, out var problem);

        Assert.Null(store);
        Assert.NotNull(problem);
        Assert.StartsWith("--resume: ", problem);
        Assert.Contains("is manifest format 1", problem);
        Assert.Contains($"this build reads and writes format {BatchManifest.CurrentFormatVersion}", problem);
        Assert.Contains("run without --resume", problem);
        Assert.True(File.Exists(Path.Combine(directory, "part-000000.parquet")), "a refused resume leaves the earlier run's state alone");
    }

    [Fact]
    public void Open_Resume_ManifestOfThisFormat_KeepsItsIntactChunks()
    {
        var output = _temp.Combine("out.parquet");
        var first = ChunkStore.Open(output, ".parquet", Identity(), resume: false, out _)!;
        first.Commit(0, 0, rows: 10, errors: 0, [1, 2, 3], []);
        first.Commit(1, 10, rows: 10, errors: 1, [4, 5], "x\n"u8);

        var resumed = ChunkStore.Open(output, ".parquet", Identity(), resume: true, out var problem);

        Assert.Null(problem);
        Assert.Equal([0L, 1L], resumed!.Chunks.Select(c => c.Index));
        Assert.Equal(1, resumed.Chunks[1].Errors);
    }

    private static BatchManifest Identity() => new("/data/in.parquet", 1000, Modified, "job", []);
}
