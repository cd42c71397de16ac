/**
 * The root layout Next.js requires of an App Router app (this one has no pages of its own).
 * @param {{ children: import("react").ReactNode }} props
 */
export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
