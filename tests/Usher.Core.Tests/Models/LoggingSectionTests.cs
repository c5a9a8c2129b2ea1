using Usher.Core.Models;
using Usher.Core.Models.Yaml;

namespace Usher.Core.Tests.Models;

public sealed class LoggingSectionTests
{
    [Fact]
    public void Parse_FullSection_ReadsEveryKey()
    {
        var config = ConfigYaml.Valid("logging:\n  sample: 0.25\n  path: requests\n  format: parquet\n  max_bytes: 2GiB\n  max_file_bytes: 10MB\n");

        var logging = Assert.IsType<RequestLoggingConfig>(config.Logging);
        Assert.Equal(0.25, logging.Sample);
        Assert.Equal("requests", logging.Path);
        Assert.Equal(RequestLogFormat.Parquet, logging.Format);
        Assert.Equal(2L * 1024 * 1024 * 1024, logging.MaxBytes);
        Assert.Equal(10_000_000, logging.FileBytes);
    }

    [Fact]
    public void Parse_PathOnly_TakesTheDefaults()
    {
        var logging = ConfigYaml.Valid("logging: {path: /var/log/usher/fraud}").Logging!;

        Assert.Equal((0.01, RequestLogFormat.Jsonl, 1L << 30), (logging.Sample, logging.Format, logging.MaxBytes));

        // A quarter of max_bytes, at most 64 MiB.
        Assert.Equal(64L << 20, logging.FileBytes);
        Assert.Equal(1000, (logging with { MaxBytes = 4000 }).FileBytes);
    }

    [Fact]
    public void Parse_NoSection_LeavesLoggingOff() => Assert.Null(ConfigYaml.Valid("max_batch_size: 8").Logging);

    [Fact]
    public void Parse_EveryBrokenKey_IsReportedTogether()
    {
        var errors = ConfigYaml.Errors("logging:\n  sample: 0\n  format: csv\n  max_bytes: lots\n  max_file_bytes: -1\n  rotate: yes\n");

        Assert.Equal(
            [
                "config.yaml: logging.format: expected one of jsonl, parquet, got 'csv'",
                "config.yaml: logging.max_bytes: expected a size such as 1GiB, 512MiB, 10MB or a number of bytes, got 'lots'",
                "config.yaml: logging.max_file_bytes: expected a size such as 1GiB, 512MiB, 10MB or a number of bytes, got '-1'",
                "config.yaml: logging.path: missing: the folder the request log is written to (relative: under the model's folder)",
                "config.yaml: logging.rotate: unknown key (expected one of: sample, path, format, max_bytes, max_file_bytes)",
                "config.yaml: logging.sample: expected a share above 0 and at most 1 (0.01 writes one request in a hundred), got '0'",
            ],
            errors.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    [InlineData("often")]
    public void Parse_SampleOutsideZeroToOne_IsRefused(string sample)
    {
        var error = ConfigYaml.SingleError($"logging: {{path: logs, sample: {sample}}}");

        Assert.Contains("logging.sample: expected a share above 0 and at most 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FileLargerThanTheFolder_IsRefused()
    {
        var error = ConfigYaml.SingleError("logging: {path: logs, max_bytes: 1MiB, max_file_bytes: 2MiB}");

        Assert.Equal("config.yaml: logging.max_file_bytes: 2097152 bytes is more than max_bytes (1048576 bytes); a file is closed at max_file_bytes and the folder holds max_bytes", error);
    }

    [Theory]
    [InlineData("1GiB", 1073741824L)]
    [InlineData("512 MiB", 536870912L)]
    [InlineData("1.5KiB", 1536L)]
    [InlineData("10MB", 10000000L)]
    [InlineData("2kb", 2000L)]
    [InlineData("4096", 4096L)]
    [InlineData("100B", 100L)]
    public void ByteSizes_ReadsUnits(string text, long bytes)
    {
        Assert.True(ByteSizes.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("GiB")]
    [InlineData("1 PiB")]
    [InlineData("99999999999TiB")]
    public void ByteSizes_RefusesWhatIsNotASize(string text) => Assert.False(ByteSizes.TryParse(text, out _));

    [Fact]
    public void ResolveDirectory_RelativePath_IsUnderTheModelFolderNotTheWorkingDirectory()
    {
        var model = Path.Combine(Path.GetTempPath(), "repo", "fraud");
        var logging = new RequestLoggingConfig { Path = "requests" };

        Assert.Equal(Path.Combine(model, "requests"), logging.ResolveDirectory(model));
        Assert.Equal("/var/log/x", (logging with { Path = "/var/log/x" }).ResolveDirectory(model));
    }
}
