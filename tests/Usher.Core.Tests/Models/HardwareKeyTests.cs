using Usher.Core.Models;

namespace Usher.Core.Tests.Models;

/// <summary>The <c>hardware:</c> key of <c>config.yaml</c>: a label value the gateway matches against a replica's <c>hw</c> label.</summary>
public sealed class HardwareKeyTests
{
    private const string Expected = "expected a label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. gpu), matched against a replica's hw label";

    [Theory]
    [InlineData("hardware: gpu", "gpu")]
    [InlineData("hardware: GPU", "GPU")]
    [InlineData("hardware: \"nvidia-a100_80gb.v2\"", "nvidia-a100_80gb.v2")]
    [InlineData("max_batch_size: 8\nhardware: tpu\n", "tpu")]
    public void Parse_Hardware_ReadsTheValueAsWritten(string yaml, string expected)
    {
        Assert.Equal(expected, ConfigYaml.Valid(yaml).Hardware);
    }

    [Fact]
    public void Parse_NoHardwareKey_IsAnyHardware()
    {
        Assert.Null(ConfigYaml.Valid("max_batch_size: 8").Hardware);
        Assert.Null(ModelConfig.Default.Hardware);
    }

    [Theory]
    [InlineData("hardware: gpu x", "'gpu x'")]
    [InlineData("hardware: -gpu", "'-gpu'")]
    [InlineData("hardware: gpu.", "'gpu.'")]
    [InlineData("hardware: hw=gpu", "'hw=gpu'")]
    [InlineData("hardware: \"\"", "the quoted text ''")]
    [InlineData("hardware:", "nothing")]
    [InlineData("hardware: [gpu]", "a list")]
    [InlineData("hardware: { hw: gpu }", "a mapping")]
    public void Parse_HardwareNotALabelValue_IsAnErrorNamingTheKeyTheValueAndWhatIsExpected(string yaml, string got)
    {
        Assert.Equal($"config.yaml: hardware: {Expected}, got {got}", ConfigYaml.SingleError(yaml));
    }

    [Fact]
    public void Parse_HardwareLongerThan63Characters_IsAnError()
    {
        var longest = new string('a', 63);
        Assert.Equal(longest, ConfigYaml.Valid($"hardware: {longest}").Hardware);

        var error = ConfigYaml.SingleError($"hardware: {longest}b");
        Assert.Equal($"config.yaml: hardware: {Expected}, got '{longest}b'", error);
    }

    [Fact]
    public void Parse_HardwareMisspelled_SuggestsTheKey()
    {
        Assert.Equal("config.yaml: hardwar: unknown key (did you mean 'hardware'?)", ConfigYaml.SingleError("hardwar: gpu"));
    }
}
