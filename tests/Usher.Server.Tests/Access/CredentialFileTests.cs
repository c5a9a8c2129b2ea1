using Usher.Server.Access;

namespace Usher.Server.Tests.Access;

public sealed class CredentialFileTests
{
    private const string Alice = "alice-key-0123456789";
    private const string Bob = "bob-key-abcdefghijkl";

    [Fact]
    public void Parse_NamesAndKeys_SkipsCommentsAndBlankLines_AndFindsEachKeyByItsText()
    {
        var text = $"# the team's keys\n\nalice {Alice}\n  bob\t{Bob}   # rotated 2026-11\r\n";

        var content = CredentialFile.Parse("keys.txt", text, allowBareToken: false);

        Assert.Empty(content.Problems);
        var keys = content.Credentials!;
        Assert.Equal(["alice", "bob"], keys.Names);
        Assert.Equal("alice", keys.Find(Alice)?.Name);
        Assert.Equal("bob", keys.Find(Bob)?.Name);
        Assert.Null(keys.Find(Alice + "x"));
        Assert.Null(keys.Find(Alice.AsSpan(0, Alice.Length - 1)));
        Assert.Null(keys.Find("alice"));
        Assert.Null(keys.Find(string.Empty));
    }

    [Fact]
    public void Parse_EveryBadLine_IsAProblemNamingFileAndLine_AndNeverQuotesAKey()
    {
        const string secret = "secret-of-some-length-1";
        var text = $"alice {Alice}\n{secret}\nbob tiny5\ncarol {secret} extra\nd/ave {Bob}x\nalice {Bob}\nerin {Alice}\n";

        var content = CredentialFile.Parse("/etc/usher/keys", text, allowBareToken: false);

        Assert.Null(content.Credentials);
        string[] expected =
        [
            "/etc/usher/keys:2: expected 'NAME KEY', got one field (a name or a key alone)",
            "/etc/usher/keys:3: 'bob': the key has 5 characters; at least 16 are needed (a short key is easy to guess)",
            "/etc/usher/keys:4: expected 'NAME KEY', got 3 fields (a key cannot hold spaces; '#' starts a comment)",
            "/etc/usher/keys:5: the name must be 1 to 64 letters, digits, '.', '_', '-' or '@'",
            "/etc/usher/keys:6: the name 'alice' is already used on line 1; names must be unique",
            "/etc/usher/keys:7: 'erin' has the same key as 'alice' on line 1; each key must be its own",
        ];
        Assert.Equal(expected, content.Problems);
        Assert.DoesNotContain(content.Problems, p => p.Contains(secret, StringComparison.Ordinal) || p.Contains(Alice, StringComparison.Ordinal) || p.Contains("tiny5", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ABareToken_IsTheAdminToken_OnlyWhereAllowedAndAlone()
    {
        var alone = CredentialFile.Parse("token", $"# mounted secret\n{Alice}\n", allowBareToken: true);
        var apiKeys = CredentialFile.Parse("token", $"{Alice}\n", allowBareToken: false);
        var mixed = CredentialFile.Parse("token", $"{Alice}\nbob {Bob}\n", allowBareToken: true);

        Assert.Equal(CredentialFile.BareTokenName, alone.Credentials!.Find(Alice)?.Name);
        Assert.Equal(["token:1: expected 'NAME KEY', got one field (a name or a key alone)"], apiKeys.Problems);
        Assert.Equal(["token:1: expected 'NAME TOKEN' (a token alone is allowed only as the file's one line)"], mixed.Problems);
    }

    [Fact]
    public void Read_AMissingFile_IsOneProblem()
    {
        using var dir = new Usher.Testing.TempDirectory();
        var path = dir.Combine("absent");

        var content = CredentialFile.Read(path, allowBareToken: false);

        Assert.Equal([$"{path}: the file does not exist"], content.Problems);
    }

    [Fact]
    public void Find_HashesTheKey_AsSha256OfItsUtf8Text()
    {
        // The stored hash is the SHA-256 of the key, computed here independently of the code under test.
        var expected = Convert.FromHexString("8D969EEF6ECAD3C29A3A629280E686CF0C3F5D5A86AFF3CA12020C923ADC6C92"); // SHA-256("123456")

        Assert.Equal(expected, CredentialSet.HashOf("123456"));
    }
}
