using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Usher.Testing;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// How a JSON answer is framed on real Kestrel: a small one carries its Content-Length (one flush per
/// answer), a large one streams chunked, a gzip answer is coded whatever its size, and an answer to a
/// request without Accept-Encoding is neither coded nor marked as varying on it.
/// </summary>
public sealed class ResponseFramingTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        // Room for a batch of 100 rows: an answer past the small-answer bound.
        await File.WriteAllTextAsync(_repo.Combine("fraud", "config.yaml"), "max_batch_size: 128\n");
        _app = await UsherApp.StartAsync(_repo.Path, kestrel: true);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    // Rows of 30 features; each row answers 3 numbers (two probabilities and a label).
    private static HttpRequestMessage Fraud(int rows)
    {
        var data = string.Join(",", Enumerable.Range(0, rows * 30).Select(i => ((i % 7) * 0.25).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var body = $$"""{"inputs":[{"name":"features","shape":[{{rows}},30],"datatype":"FP32","data":[{{data}}]}]}""";
        return new HttpRequestMessage(HttpMethod.Post, "/v2/models/fraud/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    }

    private static void AssertAnswers(byte[] body, int rows)
    {
        using var json = JsonDocument.Parse(body);
        var outputs = json.RootElement.GetProperty("outputs");
        Assert.Equal(rows * 2, outputs[0].GetProperty("data").GetArrayLength());
        Assert.Equal(rows, outputs[1].GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Infer_SmallAnswer_CarriesItsContentLength()
    {
        using var response = await _app.Client.SendAsync(Fraud(1));
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked); // null or false: not chunked
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        AssertAnswers(body, 1);
    }

    [Fact]
    public async Task Infer_AnswerOfMoreThan256Numbers_StreamsChunked()
    {
        // 100 rows answer 300 numbers: past the small-answer bound, so written straight into the response.
        using var response = await _app.Client.SendAsync(Fraud(100));
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TransferEncodingChunked);
        AssertAnswers(body, 100);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("identity", true)]
    public async Task Infer_WithoutACodingAccepted_IsNotCoded_AndVariesOnlyIfAcceptEncodingWasSent(string? accepted, bool varies)
    {
        // A request without Accept-Encoding skips the compression middleware altogether; one that sends
        // the header goes through it, which marks the answer as depending on the header even when it
        // codes nothing. Either way the answer is plain.
        using var request = Fraud(1);
        if (accepted is not null)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(accepted));
        }

        using var response = await _app.Client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(varies, response.Headers.Vary.Contains("Accept-Encoding"));
        AssertAnswers(body, 1);
    }

    [Fact]
    public async Task Infer_SmallAnswerWithGzipAccepted_IsCodedAndDecodesToTheAnswer()
    {
        using var request = Fraud(1);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using var response = await _app.Client.SendAsync(request);
        var coded = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        // The uncompressed length must not survive onto the coded body.
        var length = response.Content.Headers.ContentLength;
        Assert.True(length is null || length == coded.Length, $"Content-Length {length} on a coded body of {coded.Length} bytes");
        using var plain = new MemoryStream();
        await using (var gzip = new GZipStream(new MemoryStream(coded), CompressionMode.Decompress))
        {
            await gzip.CopyToAsync(plain);
        }

        AssertAnswers(plain.ToArray(), 1);
    }
}
