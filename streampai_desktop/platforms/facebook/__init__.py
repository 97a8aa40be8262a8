"""Facebook Live on a Page: sign-in through the account service, the Page's live comments and
reactions over Server-Sent Events, viewers, and commenting as the Page."""
