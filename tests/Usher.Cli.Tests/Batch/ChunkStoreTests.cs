using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using Usher.Cli.Batch;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

public sealed class ChunkStoreTests : IDisposable
{
    private static readonly DateTime Modified = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);
    private static readonly CsvOutputFormat Csv = new(new OutputLayout([], [new BatchTensor("score", DataType.Fp32, [-1], 1)]));
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Open_Resume_ManifestOfAnEarlierFormat_IsRefusedNamingTheFormatAndTheWayOut(int format)
    {
        // As earlier builds wrote it: manifest.json, one part file per chunk (format 1 with SHA-256 under other names).
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
              "format_version": {{format}}
            }
            """);

        var store = ChunkStore.Open(output, ".parquet", Csv.Start, Identity(), resume: true, out var problem);

        Assert.Null(store);
        Assert.NotNull(problem);
        Assert.StartsWith("--resume: ", problem);
        Assert.Contains($"is manifest format {format}", problem);
        Assert.Contains("this build reads and writes format 3", problem);
        Assert.Equal(3, BatchManifest.CurrentFormatVersion);
        Assert.Contains("run without --resume", problem);
        Assert.True(File.Exists(Path.Combine(directory, "part-000000.parquet")), "a refused resume leaves the earlier run's state alone");
    }

    [Fact]
    public void Commit_AppendsEachChunkOnce_AndTheManifestNamesEachFilesLengthAfterIt()
    {
        var output = _temp.Combine("out.csv");
        using var store = ChunkStore.Open(output, ".csv", Csv.Start, Identity(), resume: false, out _)!;
        store.Commit(0, 0, rows: 2, errors: 0, "1\n2\n"u8, [], []);
        store.Commit(1, 2, rows: 2, errors: 1, "3\n"u8, [], "4,oops\n"u8);

        Assert.Equal("score\n1\n2\n3\n", File.ReadAllText(store.OutputPath));
        Assert.Equal("4,oops\n", File.ReadAllText(store.ErrorsPath));
        Assert.Equal([10L, 12L], store.Chunks.Select(c => c.OutputEnd));
        Assert.Equal([0L, 7L], store.Chunks.Select(c => c.ErrorsEnd));
        var lines = File.ReadAllLines(Path.Combine(store.Directory, "manifest.jsonl"));
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"format_version\":3", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"output_end\":12", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Commit_LeavesTheChunksBytesOnDiskButNotInThePageCache()
    {
        // Linux only (posix_fadvise); residency read by mincore over a read-only mapping of the file, which
        // reports the page cache's pages without reading any. A chunk of 64 pages: every page wholly inside it
        // is dropped once it is on disk; written and flushed alone, they all stay cached.
        Assert.True(OperatingSystem.IsLinux(), "the page cache is Linux's here");
        var output = _temp.Combine("out.csv");
        using var store = ChunkStore.Open(output, ".csv", Csv.Start, Identity(), resume: false, out _)!;
        var page = Environment.SystemPageSize;
        var chunk = new byte[64 * page];
        Array.Fill(chunk, (byte)'7');

        store.Commit(0, 0, rows: 1, errors: 0, chunk, [], []);

        var start = Csv.Start.Length;
        var inside = Resident(store.OutputPath)[((start + page - 1) / page)..((start + chunk.Length) / page)];
        Assert.Equal(63, inside.Length);
        Assert.All(inside, resident => Assert.False(resident));
        Assert.Equal(chunk, File.ReadAllBytes(store.OutputPath)[start..]);
    }

    [Fact]
    public async Task KilledBetweenTheDataWriteAndTheManifestLine_Resume_CutsTheUnnamedBytesOff_AndFinishesToTheUninterruptedBytes()
    {
        var whole = _temp.Combine("whole.csv");
        using (var uninterrupted = ChunkStore.Open(whole, ".csv", Csv.Start, Identity(), resume: false, out _)!)
        {
            Commit(uninterrupted, 0);
            Commit(uninterrupted, 1);
            Commit(uninterrupted, 2);
            await uninterrupted.FinishAsync(Csv, whole, CancellationToken.None);
        }

        var output = _temp.Combine("out.csv");
        string manifest;
        using (var killed = ChunkStore.Open(output, ".csv", Csv.Start, Identity(), resume: false, out _)!)
        {
            Commit(killed, 0);
            Commit(killed, 1);
            manifest = Path.Combine(killed.Directory, "manifest.jsonl");

            // The disk as a kill after chunk 2's bytes and before its whole manifest line leaves it: the bytes
            // of both files appended (here garbled, as a write cut short may leave them), half a line.
            File.AppendAllText(killed.OutputPath, "99\n98\n");
            File.AppendAllText(killed.ErrorsPath, "5,torn");
            File.AppendAllText(manifest, "{\"index\":2,\"first_row\":4,\"rows\":2,\"err");
        }

        using var resumed = ChunkStore.Open(output, ".csv", Csv.Start, Identity(), resume: true, out var problem)!;

        Assert.Null(problem);
        Assert.Equal([0L, 1L], resumed.Chunks.Select(c => c.Index));
        Assert.Equal(resumed.Chunks[^1].OutputEnd, new FileInfo(resumed.OutputPath).Length);
        Assert.Equal(resumed.Chunks[^1].ErrorsEnd, new FileInfo(resumed.ErrorsPath).Length);
        Assert.Equal(3, File.ReadAllLines(manifest).Length);
        Commit(resumed, 2);
        await resumed.FinishAsync(Csv, output, CancellationToken.None);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(output));
        Assert.Equal("score\n0\n1\n2\n3\n4\n5\n", File.ReadAllText(output));
        Assert.Equal("2,bad\n4,bad\n", File.ReadAllText(resumed.ErrorsPath));
        Assert.Equal(4, File.ReadAllLines(manifest).Length);
    }

    [Fact]
    public void Open_Resume_AChunksBytesChanged_KeepsOnlyTheChunksBeforeIt()
    {
        var output = _temp.Combine("out.csv");
        using (var first = ChunkStore.Open(output, ".csv", Csv.Start, Identity(), resume: false, out _)!)
        {
            Commit(first, 0);
            Commit(first, 1);
            Commit(first, 2);
            var bytes = File.ReadAllBytes(first.OutputPath);
            bytes[(int)first.Chunks[0].OutputEnd] = (byte)'7'; // chunk 1's first row: "2" becomes "7"
            first.Dispose();
            File.WriteAllBytes(first.OutputPath, bytes);
        }

        using var resumed = ChunkStore.Open(output, ".csv", Csv.Start, Identity(), resume: true, out var problem)!;

        Assert.Null(problem);
        Assert.Equal([0L], resumed.Chunks.Select(c => c.Index));
        Assert.Equal("score\n0\n1\n", File.ReadAllText(resumed.OutputPath));
    }

    [Fact]
    public void Open_Resume_OtherSettings_IsRefusedNamingBoth()
    {
        var output = _temp.Combine("out.csv");
        using (var first = ChunkStore.Open(output, ".csv", Csv.Start, Identity(), resume: false, out _)!)
        {
            Commit(first, 0);
        }

        var store = ChunkStore.Open(output, ".csv", Csv.Start, Identity() with { Job = "other job" }, resume: true, out var problem);

        Assert.Null(store);
        Assert.Equal("--resume: the earlier run used other settings (job); now: other job. Pass the same flags (and --version) to resume, or run without --resume to start over.", problem);
    }

    // Chunk i: rows 2i and 2i+1, the first of which failed (numbered from 1 in the errors file).
    private static void Commit(ChunkStore store, int index)
        => store.Commit(index, index * 2, rows: 2, errors: 1, Encoding.ASCII.GetBytes($"{index * 2}\n{(index * 2) + 1}\n"), [], index == 0 ? [] : Encoding.ASCII.GetBytes($"{index * 2},bad\n"));

    private static BatchManifest Identity() => new("/data/in.parquet", 1000, Modified, "job");

    // Per page of the file, whether the page cache holds it.
    private static bool[] Resident(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(0, file.Length, MemoryMappedFileAccess.Read);
        var page = Environment.SystemPageSize;
        var pages = new byte[(file.Length + page - 1) / page];
        var added = false;
        view.SafeMemoryMappedViewHandle.DangerousAddRef(ref added);
        try
        {
            // The view starts at the mapping's page-aligned start (offset 0 of the file).
            var address = view.SafeMemoryMappedViewHandle.DangerousGetHandle();
            Assert.Equal(0, Mincore(address, (nuint)file.Length, pages));
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.DangerousRelease();
        }

        return [.. pages.Select(p => (p & 1) != 0)];
    }

    [DllImport("libc", EntryPoint = "mincore", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Mincore(IntPtr address, nuint length, byte[] pages);
}
