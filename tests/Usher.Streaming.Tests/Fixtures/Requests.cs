using System.Globalization;
using System.Text;

namespace Usher.Streaming.Tests.Fixtures;

/// <summary>OIP JSON requests for the sample model <c>fraud</c> (30 FP32 features).</summary>
public static class Requests
{
    public static string Fraud(int seed, string? user = null)
    {
        var random = new Random(seed);
        var data = string.Join(",", Enumerable.Range(0, 30).Select(_ => (random.NextSingle() * 2 - 1).ToString("R", CultureInfo.InvariantCulture)));
        var parameters = user is null ? string.Empty : $",\"parameters\":{{\"user_id\":\"{user}\"}}";
        return $"{{\"id\":\"m{seed}\",\"inputs\":[{{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":[{data}]}}]{parameters}}}";
    }

    public static byte[] Bytes(string json) => Encoding.UTF8.GetBytes(json);
}
