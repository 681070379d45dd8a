export default function SentPage() {
  return (
    <main>
      <h1>Check your email</h1>
      <p data-testid="sent">A sign-in link is on its way (in this example: in the server log and data/magic-links.log).</p>
    </main>
  );
}
